package backoff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	base, max := 100*time.Millisecond, time.Second
	for attempt := 0; attempt < 10; attempt++ {
		ceil := min(base<<attempt, max)
		for range 100 {
			d := Delay(base, max, attempt)
			if d < ceil/2 || d > ceil {
				t.Fatalf("Delay(attempt %d) = %v, want within [%v, %v]", attempt, d, ceil/2, ceil)
			}
		}
	}
	if d := Delay(0, time.Second, 3); d != 0 {
		t.Errorf("Delay with no base = %v, want 0", d)
	}
}

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
}

func TestNetworkTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("invalid_auth"), false},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), true},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{errors.New("read tcp: connection reset by peer"), true},
	}
	for _, tt := range tests {
		if got := NetworkTransient(tt.err); got != tt.want {
			t.Errorf("NetworkTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
