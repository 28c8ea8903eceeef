// Package docs holds the reference documents the gateway serves: the
// OpenAPI description of the REST API and the configuration reference.
package docs

import "embed"

// Files are the embedded documents.
//
//go:embed api.yaml configuration.md
var Files embed.FS
