// Package config reads feedloom's configuration: one YAML file holding the
// HTTP address, the store path, fetch and poll settings, the sources (or
// OPML files of them) and the topics.
//
// # Decoding
//
// The file is decoded strictly: every key must be known and every value
// must have the right type. The YAML is walked as a node tree so that each
// problem is reported with the file and line it comes from, in the form
// compilers use:
//
//	feedloom.yaml:12: topics[0].match: unknown key "anyy"
//
// Decoding does not stop at the first problem: Load and Parse return every
// problem found, as Errors.
//
// # Defaults and paths
//
// A key that is absent, null or an empty string takes its default. Every
// relative path (store, opml, file: sources) is relative to the directory
// of the config file, never to the working directory.
//
// A Config is a plain value: it is built once by Load and handed to the
// parts that need it; nothing in this package holds global state.
package config
