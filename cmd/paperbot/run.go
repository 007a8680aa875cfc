package main

import (
	"context"
	"fmt"
)

// runCmd is a placeholder until the engine is wired in (the lead replaces
// this file): it says so and exits 2.
func runCmd(ctx context.Context, args []string, s stdio) int {
	fmt.Fprintln(s.err, "paperbot run: not built yet")
	return 2
}

// sendCmd is a placeholder until the engine is wired in.
func sendCmd(ctx context.Context, args []string, s stdio) int {
	fmt.Fprintln(s.err, "paperbot send: not built yet")
	return 2
}
