;; Module and class attributes are cached, but set! and py-exec invalidate the cache at once:
;; the next use sees the new value, also through a call site that already ran.
(py-exec "
import sys, types
settings = types.ModuleType('settings')
settings.level = 1
settings.label = lambda n: 'v1:' + str(n)
sys.modules['settings'] = settings
")
(def settings ($py "settings"))

(defn level () settings.level)
(defn label (n) (settings.label n))

(prn (level) (label 1))

;; set! from Lisp
(set! settings.level 2)
(set! (. settings label) (fn (n) (str "v2:" n)))
(prn (level) (label 2))

;; a Python function stored by set!
(set! settings.label (py-eval "lambda n: 'v3:' + str(n)"))
(prn (label 3))

;; py-exec changing the module
(py-exec "settings.level = 4\nsettings.label = lambda n: 'v4:' + str(n)")
(prn (level) (label 4))

;; in a loop: every iteration after the change sees it
(dotimes [i 3]
  (set! settings.level (* 10 i))
  (prn (level)))

;; class attributes too
(py-exec "class Config:\n    mode = 'fast'")
(def Config (py-eval "Config"))
(defn mode () Config.mode)
(prn (mode))
(set! Config.mode "safe")
(prn (mode))
(prn (. ((py-eval "Config")) mode))
