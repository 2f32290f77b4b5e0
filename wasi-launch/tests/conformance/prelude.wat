;; Prelude of the WAT programs of the conformance suite. The runner wraps
;; `(module <prelude> <program>)`, so a program is a list of module fields
;; (functions, data, and an exported `_start`).
;;
;; Every preview1 function is imported under its own name ($fd_write, ...).
;; The preopen mapped to guest `/` is fd 3.
;;
;; Scratch memory used by the helpers (programs use addresses from 1024):
;;   0    iovec of $print          8    its nwritten
;;   12   u32 result slot ($r32)   16   u64 result slot ($r64)
;;   24   fd slot filled by $open  32   digits of $print_num
;;   64   64-byte stat buffer ($stat = 64)
;;   128  iovec of $write / $read  512  the prelude's strings

  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_advise" (func $fd_advise (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_datasync" (func $fd_datasync (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_rights" (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_sync" (func $fd_sync (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times" (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link" (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory" (func $path_remove_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))

  (memory (export "memory") 2)

  (data (i32.const 512) "FAIL ")
  (data (i32.const 520) ": got ")
  (data (i32.const 528) " want ")
  (data (i32.const 536) "ok\n")
  (data (i32.const 540) "\n")

  ;; Writes `len` bytes at `ptr` to stdout.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Writes `v` in decimal to stdout.
  (func $print_num (param $v i64)
    (local $p i32)
    (local.set $p (i32.const 64))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (call $print (local.get $p) (i32.sub (i32.const 64) (local.get $p))))

  ;; Prints "FAIL <id>: got <got> want <want>" and exits with 1.
  (func $fail (param $id i32) (param $got i64) (param $want i64)
    (call $print (i32.const 512) (i32.const 5))
    (call $print_num (i64.extend_i32_u (local.get $id)))
    (call $print (i32.const 520) (i32.const 6))
    (call $print_num (local.get $got))
    (call $print (i32.const 528) (i32.const 6))
    (call $print_num (local.get $want))
    (call $print (i32.const 540) (i32.const 1))
    (call $proc_exit (i32.const 1)))

  ;; `got` must equal `want`; `id` names the check in the failure message.
  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want))
      (then (call $fail (local.get $id)
        (i64.extend_i32_u (local.get $got)) (i64.extend_i32_u (local.get $want))))))

  ;; 64-bit `got` must equal `want`.
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want))
      (then (call $fail (local.get $id) (local.get $got) (local.get $want)))))

  ;; Prints "ok" and a newline.
  (func $ok (call $print (i32.const 536) (i32.const 3)))

  (func $r32 (result i32) (i32.load (i32.const 12)))
  (func $r64 (result i64) (i64.load (i32.const 16)))
  (func $fd (result i32) (i32.load (i32.const 24)))

  ;; path_open following symlinks; the errno is returned, the new fd is in $fd.
  (func $open (param $dir i32) (param $path i32) (param $len i32) (param $oflags i32)
      (param $base i64) (param $inheriting i64) (param $fdflags i32) (result i32)
    (call $path_open (local.get $dir) (i32.const 1) (local.get $path) (local.get $len)
      (local.get $oflags) (local.get $base) (local.get $inheriting) (local.get $fdflags)
      (i32.const 24)))

  ;; Writes `len` bytes at `ptr` to `fd`; the errno is returned, the count is in $r32.
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 128) (local.get $ptr))
    (i32.store (i32.const 132) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 12)))

  ;; Reads up to `len` bytes from `fd` to `ptr`; the errno is returned, the count is in $r32.
  (func $read (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 128) (local.get $ptr))
    (i32.store (i32.const 132) (local.get $len))
    (call $fd_read (local.get $fd) (i32.const 128) (i32.const 1) (i32.const 12)))

  ;; Creates (or truncates) the file `path` in `dir` with the `len2` bytes at
  ;; `data`; fails the program (check 9000) if it cannot.
  (func $make_file (param $dir i32) (param $path i32) (param $len i32) (param $data i32) (param $len2 i32)
    (local $fd i32)
    (call $check (call $open (local.get $dir) (local.get $path) (local.get $len)
      (i32.const 9) (i64.const 0x42) (i64.const 0) (i32.const 0)) (i32.const 0) (i32.const 9000))
    (local.set $fd (call $fd))
    (call $check (call $write (local.get $fd) (local.get $data) (local.get $len2)) (i32.const 0) (i32.const 9001))
    (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.const 9002)))
