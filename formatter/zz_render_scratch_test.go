package formatter

import (
	"fmt"
	"os"
	"testing"
)

func TestZZRenderScratch(t *testing.T) {
	src, err := os.ReadFile("../../shared/fixtures/posts/2025-09-30-daily-papers.md")
	if err != nil {
		t.Skip(err)
	}
	d, err := (&Parser{}).Parse("_posts/2025-09-30-daily-papers.md", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []SlackDetails{SlackContainer, SlackButtons, SlackThread, SlackInline} {
		msgs := Slack(d, SlackOptions{Details: mode, SiteURL: "https://team.github.io/blog"})
		for i, m := range msgs {
			b, tx := 0, 0
			for _, bl := range m.Blocks {
				b += slackBlockCount(bl)
				tx += slackBlockText(bl)
			}
			fmt.Printf("slack %s msg %d reply=%v blocks=%d text=%d err=%v\n", mode, i, m.ThreadReply, b, tx, CheckSlackMessage(m))
		}
		j, _ := SlackJSON(msgs)
		os.WriteFile("/tmp/scratch/slack-"+string(mode)+".json", j, 0o644)
	}
	for _, mode := range []DiscordDetails{DiscordSpoiler, DiscordButtons, DiscordInline} {
		msgs := Discord(d, DiscordOptions{Details: mode})
		for i, m := range msgs {
			tot := 0
			for _, e := range m.Embeds {
				tot += DiscordEmbedChars(e)
			}
			fmt.Printf("discord %s msg %d embeds=%d chars=%d err=%v\n", mode, i, len(m.Embeds), tot, CheckDiscordMessage(m))
		}
		j, _ := DiscordJSON(msgs)
		os.WriteFile("/tmp/scratch/discord-"+string(mode)+".json", j, 0o644)
	}
	os.WriteFile("/tmp/scratch/text.txt", []byte(Text(d)), 0o644)
}
