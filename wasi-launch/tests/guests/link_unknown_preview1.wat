;; Imports a name preview1 does not define: a link error, not a stub.
(module
  (import "wasi_snapshot_preview1" "no_such_function" (func $nope (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $nope))))
