//! Whole programs on arbitrary text: an engine without Python reads, expands, compiles and runs
//! it. Any error is fine; a panic, a stack overflow or an abort is a bug. Each input is bounded
//! in time by the interrupt flag (what Ctrl-C sets): a watchdog thread raises it when an input
//! has run for `BUDGET`, and the evaluator stops with `KeyboardInterrupt` at its next check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polyglot::runtime::interrupt;
use polyglot::{Engine, EngineConfig, Recorder};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

/// How long one input may run.
const BUDGET: Duration = Duration::from_millis(300);

/// Milliseconds since `EPOCH` at which the running input started; 0 when none runs.
static STARTED: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64 + 1
}

fn start_watchdog() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(10));
            let started = STARTED.load(Ordering::SeqCst);
            if started != 0 && now_ms().saturating_sub(started) > BUDGET.as_millis() as u64 {
                interrupt::request();
            }
        });
    });
}

thread_local! {
    /// A fresh engine per input would spend most of the time loading the prelude; globals a
    /// previous input defined are part of the state being fuzzed, as in a REPL session.
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    start_watchdog();
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let engine = slot.get_or_insert_with(|| {
            let mut e = Engine::new(EngineConfig {
                python_enabled: false,
                ..EngineConfig::default()
            })
            .expect("engine");
            e.set_output(Arc::new(Recorder::default()));
            e
        });
        interrupt::clear();
        STARTED.store(now_ms(), Ordering::SeqCst);
        let out = engine.eval("<fuzz>", text);
        STARTED.store(0, Ordering::SeqCst);
        interrupt::clear();
        // Rendering the error is part of the path under test.
        if let Err(e) = &out.result {
            let _ = engine.render(e, &polyglot::diagnostics::RenderOptions::plain());
        }
    });
});
