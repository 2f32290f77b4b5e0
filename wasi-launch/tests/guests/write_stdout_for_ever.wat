;; Writes 4 KiB of 'x' to stdout, again and again, for ever: into a pipe
;; nobody reads it blocks once the pipe is full, and only a limit or a
;; signal can end it. Exits 1 if a write fails.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 4096))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 4096))
    (loop $again
      (if (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
        (then (call $exit (i32.const 1))))
      (br $again))))
