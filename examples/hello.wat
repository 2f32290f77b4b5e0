;; Prints "Hello, world!\n" to stdout through wasi_snapshot_preview1.fd_write,
;; then returns from _start (exit status 0).
;;
;; Run it with: cargo run --release --bin wasi-run -- examples/hello.wat
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; The message, 14 bytes at offset 16.
  (data (i32.const 16) "Hello, world!\n")

  (func (export "_start")
    ;; One ciovec at offset 0: buf = 16, buf_len = 14.
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 14))
    ;; fd_write(fd = 1, iovs = 0, iovs_len = 1, nwritten = 8); the errno is
    ;; dropped: there is nowhere left to report a failed write to stdout.
    (drop
      (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
