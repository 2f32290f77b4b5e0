;; A WASI module that exports `main` but no `_start`.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "main")
    (call $proc_exit (i32.const 7))))
