;; Imports a function from a module that is not WASI ("env"): a link error.
(module
  (import "env" "host_hook" (func $host_hook (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit (call $host_hook (i32.const 1)))))
