package bot

// NewMemStore lets the external test package run the store conformance
// suite against the engine tests' in-memory Store (storetest imports bot,
// so only an external test can import it).
func NewMemStore() Store { return newMemStore() }

func init() {
	// Every pass of the engine's tests checks that looking at what changed
	// finds the work the whole walk finds.
	debugWork = true
}
