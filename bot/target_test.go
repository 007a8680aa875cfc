package bot

import (
	"reflect"
	"testing"
)

func TestInOrder(t *testing.T) {
	t.Parallel()
	a, b, c := MessageRef{ID: "a"}, MessageRef{ID: "b"}, MessageRef{ID: "c"}
	for _, tc := range []struct {
		name  string
		parts map[int]MessageRef
		want  []MessageRef
	}{
		{"none", nil, nil},
		{"no first part", map[int]MessageRef{1: b, 2: c}, nil},
		{"all", map[int]MessageRef{2: c, 0: a, 1: b}, []MessageRef{a, b, c}},
		{"a gap ends the list", map[int]MessageRef{0: a, 2: c}, []MessageRef{a}},
	} {
		if got := InOrder(tc.parts); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: InOrder = %v, want %v", tc.name, got, tc.want)
		}
	}
}
