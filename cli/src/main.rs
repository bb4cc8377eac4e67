//! The `telecenter` command: thin operator commands over the node library.
//!
//! Commands that change the catalog work whether or not the node is serving:
//! if this process can take the data folder's write lock, it opens the database
//! itself; if a serving node holds the lock, the command goes through that node's
//! admin API (address in `DATA/node.json`, token in `DATA/admin.token`), so the
//! change is visible at once and nothing is overwritten.
//!
//! It speaks Indonesian when the locale starts with `id` (see `words`).

mod backend;
mod cli;
mod commands;
mod demo;
mod errors;
mod numbers;
mod output;
mod producers;
mod recovery;
mod serve;
mod setup;
mod trade;
mod words;

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};

use crate::words::{fill, words};

/// The exit status of a command whose reader went away (128 + SIGPIPE, as
/// the shell reports a command ended by a closed pipe).
const CLOSED_PIPE_EXIT: i32 = 141;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let command = localise(cli::Cli::command(), "");
    let args = command
        .try_get_matches()
        .and_then(|matches| cli::Cli::from_arg_matches(&matches));
    let args = match args {
        Ok(args) => args,
        Err(error) => {
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = error.print();
                return if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            eprintln!("{} {}", argument_error(&error), words().see_help);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let line = fill(words().cannot_start, &[&error]);
            eprintln!("{}", fill(words().error_line, &[&line]));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Known kinds in the table's words; else `{:#}` joins the
            // context chain on one line.
            let line = errors::line(&error);
            eprintln!("{}", fill(words().error_line, &[&line]));
            ExitCode::FAILURE
        }
    }
}

/// A closed standard output (`telecenter listing list | head -3`) ends the
/// command quietly, as other command-line tools do, instead of printing a
/// panic: `println!` panics when its pipe's reader is gone.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE_EXIT);
        }
        default(info);
    }));
}

/// The commands' summaries in this process's language (`path` is the
/// command's path below `telecenter`, "" for the top).
fn localise(command: clap::Command, path: &str) -> clap::Command {
    let w = words();
    let about = if path.is_empty() {
        Some(w.about)
    } else {
        w.abouts.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
    };
    let command = match about {
        Some(about) => command.about(about).long_about(None),
        None => command,
    };
    // The examples' commands stay; their captions are said in the table's words.
    let after_help = command.get_after_help().map(|text| {
        w.captions
            .iter()
            .fold(text.to_string(), |text, (en, said)| text.replace(en, said))
    });
    let command = match after_help {
        Some(text) if !w.captions.is_empty() => command.after_help(text),
        _ => command,
    };
    command.mut_subcommands(|sub| {
        let sub_path = if path.is_empty() {
            sub.get_name().to_owned()
        } else {
            format!("{path} {}", sub.get_name())
        };
        localise(sub, &sub_path)
    })
}

/// One line for wrong arguments, naming what was wrong.
fn argument_error(error: &clap::Error) -> String {
    let w = words();
    let text = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(s)) => Some(s.join(", ")),
        _ => None,
    };
    let named = match error.kind() {
        ErrorKind::MissingRequiredArgument => match error.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(args)) => {
                let args: Vec<String> = args.iter().map(|a| w.argument(a)).collect();
                Some(fill(w.missing_argument, &[&args.join(", ")]))
            }
            _ => None,
        },
        ErrorKind::UnknownArgument => {
            text(ContextKind::InvalidArg).map(|a| fill(w.unknown_argument, &[&a]))
        }
        ErrorKind::InvalidSubcommand => {
            text(ContextKind::InvalidSubcommand).map(|c| fill(w.unknown_command, &[&c]))
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            match (
                text(ContextKind::InvalidValue),
                text(ContextKind::InvalidArg),
            ) {
                (Some(value), Some(arg)) => {
                    let line = fill(w.invalid_value, &[&format!("{value:?}"), &w.argument(&arg)]);
                    // The option's own check says why (and its limit).
                    let why = std::error::Error::source(error)
                        .and_then(|e| e.downcast_ref::<telecenter_protocol::text::InvalidInput>())
                        .map(errors::input_line);
                    Some(match why {
                        Some(why) => format!("{line}: {why}"),
                        None => line,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    };
    named.unwrap_or_else(|| {
        // Otherwise clap's first line says what was wrong.
        let rendered = error.render().to_string();
        rendered
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid arguments")
            .trim()
            .to_owned()
    })
}
