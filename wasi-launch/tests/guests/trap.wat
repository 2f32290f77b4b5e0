;; Writes a line to stdout, then traps (unreachable) two calls deep, so the
;; backtrace names $inner, $outer and $start.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "before the trap\n")
  (data (i32.const 0) "\00\01\00\00\10\00\00\00")

  (func $inner
    unreachable)

  (func $outer
    (call $inner))

  (func $start (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)))
    (call $outer)))
