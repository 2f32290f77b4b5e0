;; wasi-threads: a thread waits 200 ms, then calls proc_exit(42) while
;; _start is blocked reading stdin (a pipe that stays open): the whole
;; program must end with 42, promptly.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (import "env" "memory") 1 1 shared)
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32)
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 200000000)))
    (call $exit (i32.const 42)))
  (func (export "_start")
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then (call $exit (i32.const 1))))
    (i32.store (i32.const 100) (i32.const 200))
    (i32.store (i32.const 104) (i32.const 1))
    (drop (call $read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 300)))
    (call $exit (i32.const 2))))
