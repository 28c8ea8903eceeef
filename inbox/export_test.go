package inbox

// ErrDuplicateKey lets the external tests recognise a unique index's refusal.
var ErrDuplicateKey = errDuplicateKey
