//! Workspace integration tests: the real `telecenter` binary, real SQLite files,
//! real HTTP on 127.0.0.1. Every wait polls a condition with a deadline.

mod attacks;
mod browser;
mod cli;
mod cli_words;
mod crash_loop;
mod durability;
mod federation;
mod net;
mod orders;
#[cfg(unix)]
mod private_files;
mod producers;
mod recovery;
mod relay;
mod requests;
mod search;
mod setup;
mod sheet;
mod stop;
mod support;
