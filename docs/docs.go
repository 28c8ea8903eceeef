// Package docs holds the reference documents the gateway serves: the
// OpenAPI description of the REST API, the configuration reference and
// the guides to the Telegram and e-mail connectors and to operations.
package docs

import "embed"

// Files are the embedded documents.
//
//go:embed api.yaml configuration.md telegram.md email.md operations.md
var Files embed.FS
