// Package chattest holds what the paperbot command's tests, in process
// (cmd/paperbot) and end to end (cmd/paperbot/e2e), share: a post
// template, a bot's folders and fake chats, and readings of what the fake
// Slack received, in the terms the delivery rules are stated in (each post
// once, in date order).
package chattest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/discord/discordfake"
	"github.com/paperbot/paperbot/bot/slack/slackfake"
)

// NewPost is a one-paper post: fmt.Sprintf(NewPost, "2006-01-02", n) dates
// it and gives its paper the arXiv id 2511.0000n.
const NewPost = `---
title: "Daily Papers — %[1]s"
date: %[1]s 08:00:00
tags: [papers]
---

# 1. [A Paper Added Later, Number %[2]d](https://arxiv.org/abs/2511.%05[2]d)

> [Alphaxiv](https://www.alphaxiv.org/ko/overview/2511.%05[2]d)

## Introduction

- Goal: Show that a post added while the bot runs is delivered at the next tick.

## Method

Write the file, trigger a tick, count the messages.

## Results

One message per target.

## Limitations

N/A

## Conclusion

It works.
`

// PostsFolder makes a temporary folder for one bot and an empty posts
// folder named name in it, and returns both.
func PostsFolder(t testing.TB, name string) (dir, posts string) {
	t.Helper()
	dir = t.TempDir()
	posts = filepath.Join(dir, name)
	if err := os.Mkdir(posts, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, posts
}

// Chats starts a fake Slack (bot token xoxb-test) and a fake Discord
// (bot token discord-test-token, channel 111), closed when the test ends.
func Chats(t testing.TB) (*slackfake.Server, *discordfake.Server) {
	sfake := slackfake.New("xoxb-test")
	t.Cleanup(sfake.Close)
	dfake := discordfake.New("discord-test-token")
	t.Cleanup(dfake.Close)
	dfake.AddChannel("111")
	return sfake, dfake
}

// WaitFor polls cond every 50 ms until it holds, and fails the test after
// timeout.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// KeysOf is the delivery keys of the posts named, in that order.
func KeysOf(target string, names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, bot.DeliveryKey(target, n))
	}
	return out
}

// SlackOrder is the delivery keys of the top-level messages, in the order
// they were posted, each key once.
func SlackOrder(fake *slackfake.Server, channel string) []string {
	var out []string
	for _, m := range fake.Messages(channel) {
		if m.Deleted || m.Metadata == nil || m.ThreadTS != "" {
			continue
		}
		k := fmt.Sprint(m.Metadata.EventPayload["key"])
		if !slices.Contains(out, k) {
			out = append(out, k)
		} else if p := fmt.Sprint(m.Metadata.EventPayload["part"]); p == "0" {
			out = append(out, k) // a second first part: a duplicate
		}
	}
	return out
}

// Deliveries counts the fake's live messages per metadata key and part.
func Deliveries(fake *slackfake.Server, channel string) map[string]int {
	n := map[string]int{}
	for _, m := range fake.Messages(channel) {
		if m.Deleted || m.Metadata == nil {
			continue
		}
		n[fmt.Sprintf("%v/%v", m.Metadata.EventPayload["key"], m.Metadata.EventPayload["part"])]++
	}
	return n
}
