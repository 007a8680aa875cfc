package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maxAckPayload keeps an ack below Slack's 20 KB limit for Socket Mode
// responses, with room for the envelope.
const maxAckPayload = 19 << 10

// SocketMode receives commands and button clicks over Slack's Socket Mode
// websocket (no public URL needed) and answers them with the Handler's
// logic: a command's answer is its ack payload, a click is acked at once
// and handled in the background.
type SocketMode struct {
	smc *socketmode.Client
	h   *Handler
	log *slog.Logger
}

// NewSocketMode returns a runner; client must carry the app-level token
// (slack.OptionAppLevelToken). A nil logger discards.
func NewSocketMode(client *slack.Client, h *Handler, logger *slog.Logger, opts ...socketmode.Option) *SocketMode {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "slack-socket-mode")
	opts = append([]socketmode.Option{socketmode.OptionLog(slog.NewLogLogger(logger.Handler(), slog.LevelDebug))}, opts...)
	return &SocketMode{smc: socketmode.New(client, opts...), h: h, log: logger}
}

// Run connects and serves until ctx ends (then it returns nil) or the
// connection fails for good (invalid app token).
func (s *SocketMode) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- s.smc.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			s.h.Wait()
			return nil
		case err := <-errc:
			s.h.Wait()
			if err == nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-s.smc.Events:
			s.dispatch(ctx, evt)
		}
	}
}

func (s *SocketMode) dispatch(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.log.Debug("connecting")
	case socketmode.EventTypeConnected:
		s.log.Info("connected")
	case socketmode.EventTypeConnectionError:
		s.log.Warn("connection error", "err", evt.Data)
	case socketmode.EventTypeInvalidAuth:
		s.log.Error("invalid app token (slack.app_token)")
		s.h.cfg.Metrics.Error("socket_mode", "invalid_auth")
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		// Answering may take up to AnswerWithin: do not hold up the event
		// loop meanwhile.
		s.h.goBackground(func() {
			msg, after := s.h.handleCommand(ctx, cmd)
			raw, err := json.Marshal(msg)
			if err == nil && len(raw) < maxAckPayload {
				if err := s.smc.AckCtx(ctx, req.EnvelopeID, msg); err != nil {
					s.log.Error("ack of a command failed", "err", err)
				}
			} else {
				// Slack drops acks of 20 KB or more (a long Korean digest
				// message is that big): ack empty, answer on the response_url.
				if err := s.smc.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
					s.log.Error("ack of a command failed", "err", err)
				}
				work, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.h.cfg.WorkTimeout)
				err := s.h.respond(work, cmd.ResponseURL, *msg)
				cancel()
				if err != nil {
					s.log.Error("answer on the response_url failed", "err", err)
				}
			}
			if after != nil {
				after()
			}
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		if err := s.smc.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			s.log.Error("ack of a click failed", "err", err)
		}
		s.h.HandleInteraction(ctx, cb)
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			_ = s.smc.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	}
}
