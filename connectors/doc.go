// Package connectors will hold the channel workers, connectors/telegram and
// connectors/email, that translate Telegram updates and IMAP mail into
// inbox messages in the common format and deliver agents' replies from a
// durable outbox.
//
// None is built yet. Lines already carry their channel configuration
// (inbox.LineChannels), and messages already carry the channels' own ids
// (inbox.ChannelRefs).
package connectors
