// Package docs holds the reference documents the gateway serves: the
// OpenAPI description of the REST API, the configuration reference and
// the Telegram connector's guide.
package docs

import "embed"

// Files are the embedded documents.
//
//go:embed api.yaml configuration.md telegram.md
var Files embed.FS
