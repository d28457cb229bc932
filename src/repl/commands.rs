//! REPL commands (`:help`, `:quit`, `:time`, `:doc`): a table of name, help and handler, so the
//! loop itself stays thin and `:help` lists exactly what exists.

use super::Session;

pub enum Outcome {
    Continue,
    Quit,
}

pub struct Command {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
    pub run: fn(&mut Session, &str) -> Outcome,
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: ":help",
        args: "",
        help: "this list",
        run: help,
    },
    Command {
        name: ":quit",
        args: "",
        help: "leave the REPL (also Ctrl-D)",
        run: |_, _| Outcome::Quit,
    },
    Command {
        name: ":time",
        args: "on|off",
        help: "show or hide the timing line after each evaluation",
        run: time,
    },
    Command {
        name: ":handles",
        args: "",
        help: "the Python objects the Lisp side holds, with type and repr",
        run: handles,
    },
    Command {
        name: ":workers",
        args: "",
        help: "the Python worker processes: pid, state, calls in flight, handles, restarts",
        run: workers,
    },
    Command {
        name: ":doc",
        args: "NAME",
        help: "what a builtin, macro or function is",
        run: doc,
    },
];

pub fn find(name: &str) -> Option<&'static Command> {
    let name = if name == ":q" { ":quit" } else { name };
    COMMANDS.iter().find(|c| c.name == name)
}

fn help(s: &mut Session, _: &str) -> Outcome {
    let mut text = String::from("Type a Lisp form to evaluate it; an open form continues on the next line.\nCtrl-C clears the line or interrupts an evaluation; Ctrl-D quits.\n\nCommands:\n");
    for c in COMMANDS {
        let usage = format!("{} {}", c.name, c.args);
        text.push_str(&format!("  {:<14} {}\n", usage.trim_end(), c.help));
    }
    s.out(&text);
    Outcome::Continue
}

fn time(s: &mut Session, arg: &str) -> Outcome {
    match arg.trim() {
        "on" => s.timing = true,
        "off" => s.timing = false,
        "" => {}
        other => {
            s.err(&format!("usage: :time on|off (not `{other}`)\n"));
            return Outcome::Continue;
        }
    }
    s.engine.set_timing(s.timing);
    let state = if s.timing { "on" } else { "off" };
    s.out(&format!("timing is {state}\n"));
    Outcome::Continue
}

fn handles(s: &mut Session, _: &str) -> Outcome {
    let list = s.engine.handles();
    let mut text = format!("{} live Python handle(s)\n", list.len());
    for (id, ty, repr) in list {
        text.push_str(&format!("  h{id:<5} {ty:<24} {repr}\n"));
    }
    s.out(&text);
    Outcome::Continue
}

fn workers(s: &mut Session, _: &str) -> Outcome {
    let rows = s.engine.workers();
    if rows.is_empty() {
        s.out("Python runs in-process (no workers; start with --backend workers)\n");
        return Outcome::Continue;
    }
    let mut text = format!(
        "{:<7} {:<8} {:<12} {:>9} {:>8} {:>9}\n",
        "worker", "pid", "state", "in flight", "handles", "restarts"
    );
    for r in rows {
        let pid = r.pid.map_or("-".to_string(), |p| p.to_string());
        let name = if r.index == 0 {
            "0 home".to_string()
        } else {
            r.index.to_string()
        };
        text.push_str(&format!(
            "{name:<7} {pid:<8} {:<12} {:>9} {:>8} {:>9}\n",
            r.state, r.in_flight, r.handles, r.restarts
        ));
    }
    s.out(&text);
    Outcome::Continue
}

fn doc(s: &mut Session, arg: &str) -> Outcome {
    let name = arg.trim();
    if name.is_empty() {
        s.err("usage: :doc NAME\n");
        return Outcome::Continue;
    }
    let text = s.engine.doc_text(name);
    s.out(&text);
    Outcome::Continue
}
