package formatter

import "flag"

// update rewrites golden files instead of comparing against them; shared by
// the parser's and the renderers' golden tests.
var update = flag.Bool("update", false, "rewrite golden files")
