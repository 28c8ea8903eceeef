// Package tgfake is an in-process fake of the Telegram Bot API HTTP server,
// for end-to-end tests of code that talks to Telegram, whether through
// github.com/go-telegram-bot-api/telegram-bot-api/v5 or over plain HTTP.
//
// The fake follows the published Bot API documentation
// (https://core.telegram.org/bots/api) and, where the documentation is
// silent, the behaviour of the reference server (tdlib/telegram-bot-api):
//
//   - Methods are reached as GET or POST {URL}/bot{token}/{method}; method
//     names are case-insensitive. Parameters may come as a query string,
//     application/x-www-form-urlencoded, application/json or
//     multipart/form-data, as Telegram accepts them.
//   - Every answer is {"ok":true,"result":...} or
//     {"ok":false,"error_code":N,"description":"...","parameters":{...}},
//     with the HTTP status equal to error_code. An unknown token answers
//     401 "Unauthorized", an unknown method 404 "Not Found".
//   - Files are downloaded from GET {URL}/file/bot{token}/{file_path}.
//
// Implemented methods: getMe; getUpdates (offset confirmation, negative
// offsets, limit, long polling, allowed_updates, the two 409 conflicts);
// setWebhook, deleteWebhook and getWebhookInfo, with a deliverer that POSTs
// queued updates to the webhook one at a time and retries failures; getFile;
// sendMessage, sendPhoto, sendDocument, sendAudio, sendVideo, sendVoice,
// sendAnimation, sendMediaGroup (the "send methods") and sendChatAction.
//
// A test registers bots with [Server.AddBot], feeds updates with
// [Server.PushUpdate], registers downloadable files with [Server.AddFile],
// reads back what the bot sent with [Server.Sent] or [Server.WaitSent], and
// injects faults with [Server.FailNext], [Server.FloodWait] and
// [Server.BlockChat]:
//
//	s, err := tgfake.Start()
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer s.Close()
//	s.AddBot("123:abc", tgfake.User{ID: 123, IsBot: true, FirstName: "Support", Username: "support_bot"})
//	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint("123:abc", s.APIEndpoint())
//
// Deliberate simplifications: every chat id is treated as an existing chat
// the bot may write to unless [Server.BlockChat] was called; file_ids and
// URLs given to send methods are accepted without being resolved; the
// reference server's anti-abuse delays (a minimum long-poll timeout for
// repeated offsets, one setWebhook per second, delayed 409 answers) are left
// out so that tests stay fast.
package tgfake
