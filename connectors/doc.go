// Package connectors will hold the channel workers, connectors/telegram and
// connectors/email, that translate Telegram updates and IMAP mail into
// inbox messages in the common format and deliver agents' replies from a
// durable outbox.
//
// So far connectors/email holds the SMTP sender the gateway's own notices
// go out through (from inbox's durable outbox); the channels themselves
// are to come. Lines already carry their channel configuration
// (inbox.LineChannels), and messages already carry the channels' own ids
// (inbox.ChannelRefs).
package connectors
