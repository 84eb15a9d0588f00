// Package config holds Quartermaster's settings: the policy file (Config),
// which says what the bot watches for, how loud it is and who hears about
// it, and the environment (Env), which says where Redis, the chat platforms
// and the language model are and holds the secrets.
//
// The two are kept apart so that the policy file can be checked in,
// reviewed and pasted into a ticket: it holds no secrets, and every way of
// printing an Env redacts them.
//
// Loading is strict, after Alertmanager's config: defaults first, the file
// on top, and then every type validates itself. A misspelt key, a value of
// the wrong type or out of range is an error that names the line and the
// key as the file spells it, for example
//
//	quartermaster.yaml: line 4: ingest.batch_size: 0, want 1 to 10000
//
// deploy/quartermaster.example.yaml documents every setting and its default.
package config
