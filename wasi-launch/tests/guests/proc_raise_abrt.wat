;; proc_raise(abrt = 6) ends the guest as killed by that signal; the code
;; after it never runs (it would exit 1).
(module
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $proc_raise (i32.const 6)))
    (call $proc_exit (i32.const 1))))
