package bot_test

import (
	"testing"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

// The engine tests' in-memory Store keeps the contract the real stores
// keep where the engine uses it (it has no real search), so what the
// engine tests prove holds against the real stores too.
func TestMemStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.RunCore(t, func(testing.TB) func() bot.Store {
		s := bot.NewMemStore()
		return func() bot.Store { return s }
	})
}
