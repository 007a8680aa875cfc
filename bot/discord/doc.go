// Package discord is paperbot's Discord adapter, built on discordgo: a
// Target that delivers digests to a channel (or a webhook) exactly once
// (POST with a nonce and enforce_nonce, a "ref" marker in the last embed's
// footer so Recover can find an interrupted send long after the nonce
// window, Edit with PATCH/DELETE; 429s and 5xx retried with backoff,
// permanent errors reported at once), an http.Handler that answers /paper,
// /digest and the Details buttons arriving at POST /discord/interactions
// (Ed25519-verified, with a timestamp age check discordgo lacks), Gateway,
// which answers the same interactions over the gateway websocket when no
// public key is configured, and RegisterCommands, which bulk-overwrites
// the slash commands. NewSession
// builds the discordgo session, optionally pointed at another host (the
// fake in discordfake, used by the tests).
package discord
