//! `--peers`: the same workloads in Hy and Basilisp, where they are installed in the chosen
//! environment (they run inside the embedded interpreter, so the comparison shares one Python),
//! and in Lua 5.4 and LuaJIT (its interpreter, `-joff`, and its JIT), where those are on PATH:
//! the interpreters the evaluator is measured against (P5, P13, P14, P15).

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

/// P5, P13, P14 and P15's workloads in Lua, each timed by Lua's own `os.clock` (CPU seconds;
/// best of 3): fib(27), tak(24,16,8), the float multiply-add loop of 10^7 steps, and map,
/// filter and reduce with closures over 10^6 items (tables, as Lua has no lazy sequences).
const LUA_PEER: &str = r#"
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local function tak(x, y, z)
  if not (y < x) then return z end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end
local function fma(n) local acc = 0.0 for i = 0, n - 1 do acc = acc * 0.999999 + 1.5 end return acc end
local function map(f, t) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
local function filter(p, t) local r = {} for i = 1, #t do if p(t[i]) then r[#r + 1] = t[i] end end return r end
local function reduce(f, acc, t) for i = 1, #t do acc = f(acc, t[i]) end return acc end
local function mfr(n)
  local t = {} for i = 1, n do t[i] = i - 1 end
  return reduce(function(a, b) return a + b end, 0,
    filter(function(x) return x % 3 == 0 end, map(function(x) return x * 2 end, t)))
end
local function best(f)
  local b = math.huge
  for _ = 1, 3 do local t = os.clock() f() b = math.min(b, os.clock() - t) end
  return b * 1000
end
print(string.format("fib(27) %.1f ms; tak %.1f ms; float loop %.1f ms; map/filter/reduce %.1f ms",
  best(function() fib(27) end), best(function() tak(24, 16, 8) end),
  best(function() fma(10000000) end), best(function() mfr(1000000) end)))
"#;

/// One Lua peer: its line, or None when the command is not on PATH.
fn lua(label: &str, command: &str, flags: &[&str]) -> Option<String> {
    let out = std::process::Command::new(command)
        .args(flags)
        .args(["-e", LUA_PEER])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some(if out.status.success() {
        format!("  {label}: {}", String::from_utf8_lossy(&out.stdout).trim())
    } else {
        format!(
            "  {label}: failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })
}

pub fn run(ctx: &mut Ctx) -> Vec<String> {
    let mut out = vec!["peers:".to_string()];
    let luas = [
        ("Lua 5.4", "lua5.4", &[][..]),
        ("LuaJIT, interpreter (-joff)", "luajit", &["-joff"][..]),
        ("LuaJIT", "luajit", &[][..]),
    ];
    for (label, command, flags) in luas {
        match lua(label, command, flags) {
            Some(line) => out.push(line),
            None => out.push(format!("  {label}: `{command}` is not on PATH, skipped")),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lua_that_is_not_installed_is_skipped() {
        assert_eq!(lua("Lua", "polyglot-no-such-lua", &[]), None);
    }

    #[test]
    fn the_lua_workloads_are_the_suites() {
        for what in ["fib(27)", "tak(24, 16, 8)", "fma(10000000)", "mfr(1000000)"] {
            assert!(LUA_PEER.contains(what), "{what}");
        }
    }
}
