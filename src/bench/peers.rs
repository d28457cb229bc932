//! `--peers`: the same workloads in Hy and Basilisp, where they are installed in the chosen
//! environment (they run inside the embedded interpreter, so the comparison shares one Python).

use super::Ctx;
use crate::runtime::value::Value;

fn installed(ctx: &mut Ctx, module: &str) -> bool {
    let code = format!(
        "(py-eval \"__import__('importlib.util').util.find_spec('{module}') is not None\")"
    );
    matches!(
        ctx.engine.eval_quietly("<bench>", &code),
        Ok(Value::Bool(true))
    )
}

/// Seconds for `fib(27)` and for 1M `math.sin` calls in Hy, by evaluating Hy source.
fn hy(ctx: &mut Ctx) -> Result<(f64, f64), String> {
    let setup = r#"(py-exec "import hy, time
hy.eval(hy.read_many('''
(import math)
(defn hy-fib [n] (if (< n 2) n (+ (hy-fib (- n 1)) (hy-fib (- n 2)))))
(defn hy-sin-loop [n] (setv acc 0.0) (for [i (range n)] (setv acc (+ acc (math.sin 0.5)))) acc)
'''), globals())
def peer_time(f, n):
    t = time.perf_counter(); f(n); return time.perf_counter() - t
")"#;
    ctx.engine
        .eval_quietly("<bench>", setup)
        .map_err(|e| e.message.clone())?;
    let mut time = |expr: &str| -> Result<f64, String> {
        match ctx
            .engine
            .eval_quietly("<bench>", &format!("(py-eval \"{expr}\")"))
        {
            Ok(Value::Float(f)) => Ok(f),
            Ok(_) => Err("no time".into()),
            Err(e) => Err(e.message.clone()),
        }
    };
    Ok((
        time("peer_time(hy_fib, 27)")?,
        time("peer_time(hy_sin_loop, 1000000)")?,
    ))
}

/// Basilisp runs in its own process (it bootstraps its own runtime); it times itself.
fn basilisp(ctx: &Ctx) -> String {
    let code = "(import time) (defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) \
                (let [t (time/perf-counter)] (fib 22) (println (* 1000 (- (time/perf-counter) t))))";
    // Basilisp's own command-line entry point, run by the environment's interpreter.
    let launcher = "import sys\nfrom basilisp.cli import invoke_cli\nsys.argv = ['basilisp', 'run', '-c', sys.argv[1]]\ninvoke_cli()";
    let out = std::process::Command::new(&ctx.python_exe)
        .args(["-c", launcher, code])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let ms: f64 = String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse()
                .unwrap_or(f64::NAN);
            format!("  Basilisp: fib(22) {ms:.0} ms (fib(27) would take about 11× longer)")
        }
        Ok(o) => format!(
            "  Basilisp: failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("  Basilisp: could not run: {e}"),
    }
}

pub fn run(ctx: &mut Ctx) -> Vec<String> {
    let mut out = vec!["peers:".to_string()];
    if installed(ctx, "hy") {
        match hy(ctx) {
            Ok((fib, sin)) => out.push(format!(
                "  Hy: fib(27) {:.1} ms; 1M math.sin calls {:.0} ns/call",
                fib * 1e3,
                sin * 1e3
            )),
            Err(e) => out.push(format!("  Hy: failed: {e}")),
        }
    } else {
        out.push("  Hy: not installed in this environment (pip install hy), skipped".into());
    }
    if installed(ctx, "basilisp") {
        out.push(basilisp(ctx));
    } else {
        out.push(
            "  Basilisp: not installed in this environment (pip install basilisp), skipped".into(),
        );
    }
    out
}
