// Package widget is the visitor side of Switchboard: the widget.js loader
// a site owner pastes into their page, the chat window it opens in an
// iframe, visitor sessions and tokens, the visitor websocket, and the
// live-chat / messenger / hidden modes chosen by agent presence.
//
// It is not built yet. The inbox it will write to (conversations opened by
// the live-chat channel, idempotent appends by client id, per-conversation
// seq for resuming) is in place in package inbox.
package widget
