;; What `--deterministic` fixes, written raw to stdout (60 bytes):
;; the realtime and monotonic clocks (8 bytes each), 16 bytes of
;; random_get, then the bits of f32.add(NaN with a payload, 1),
;; f32.min(NaN with a payload, 1) (4 bytes each), f64.promote_f32 of that
;; NaN and f64.mul(NaN with a payload, 2) (8 bytes each), and 4 bytes of
;; f32.demote_f64 of the f64 NaN. The NaNs are loaded from data, so no
;; compiler can fold the operations away.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; An f32 signalling NaN with payload 0x200001, an f64 one with payload 1.
  (data (i32.const 200) "\01\00\a0\7f")
  (data (i32.const 208) "\01\00\00\00\00\00\f4\7f")
  (func (export "_start")
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 0)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 8)))
    (drop (call $random (i32.const 16) (i32.const 16)))
    (i32.store (i32.const 32)
      (i32.reinterpret_f32 (f32.add (f32.load (i32.const 200)) (f32.const 1))))
    (i32.store (i32.const 36)
      (i32.reinterpret_f32 (f32.min (f32.load (i32.const 200)) (f32.const 1))))
    (i64.store (i32.const 40)
      (i64.reinterpret_f64 (f64.promote_f32 (f32.load (i32.const 200)))))
    (i64.store (i32.const 48)
      (i64.reinterpret_f64 (f64.mul (f64.load (i32.const 208)) (f64.const 2))))
    (i32.store (i32.const 56)
      (i32.reinterpret_f32 (f32.demote_f64 (f64.load (i32.const 208)))))
    ;; One iovec at 100: 60 bytes from 0.
    (i32.store (i32.const 100) (i32.const 0))
    (i32.store (i32.const 104) (i32.const 60))
    (drop (call $write (i32.const 1) (i32.const 100) (i32.const 1) (i32.const 120)))))
