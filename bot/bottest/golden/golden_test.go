package golden

import "testing"

func TestDiff(t *testing.T) {
	long := "0123456789abcdefghij0123456789abcdefghij0123456789"
	for _, tc := range []struct{ name, got, want, diff string }{
		{"second line", "a\nb\nc", "a\nx\nc", "Line 2, column 1:\n got: b\nwant: x"},
		{"a line more", "a\nb", "a", "Line 2, column 1:\n got: b\nwant: "},
		{"final newline", "a\n", "a", "The only difference is the final newline."},
		{"far in a long line", long + "Z", long + "Y", "Line 1, column 51:\n got: …abcdefghij0123456789abcdefghij0123456789Z\nwant: …abcdefghij0123456789abcdefghij0123456789Y"},
		{"not inside a character", "가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파하가", "가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파하나",
			"Line 1, column 127:\n got: …가나다라마바사아자차카타파하가\nwant: …가나다라마바사아자차카타파하나"},
	} {
		if got := Diff([]byte(tc.got), []byte(tc.want)); got != tc.diff {
			t.Errorf("%s: Diff =\n%s\nwant\n%s", tc.name, got, tc.diff)
		}
	}
}
