;; The fuzz dispatcher: imports all 46 functions of wasi_snapshot_preview1,
;; in the order of the spec's witx (and of `wasi_launch::PREVIEW1_FUNCTIONS`,
;; and of `HostFn` in host_calls.rs), and exports
;; `call(which, p0, p1, p2, p3, p4, p5, p6, q0, q1)`, which calls function
;; number `which` and returns its errno. A function's i32 parameters are
;; p0, p1, ... in order and its i64 parameters q0, q1 in order:
;; `path_open(fd, dirflags, path, path_len, oflags, base, inheriting,
;; fdflags, opened)` gets (p0, p1, p2, p3, p4, q0, q1, p5, p6). The rest are
;; not passed. proc_exit returns nothing; `call` then returns 0, but
;; proc_exit never returns. A `which` past the end returns -1.
;; One page of memory, which cannot grow.
(module
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
  (memory (export "memory") 1 1)
  (func (export "call")
    (param $which i32)
    (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32) (param $p6 i32)
    (param $q0 i64) (param $q1 i64)
    (result i32)
    (block $fallthrough
    (block $sock_shutdown
    (block $sock_send
    (block $sock_recv
    (block $sock_accept
    (block $random_get
    (block $sched_yield
    (block $proc_raise
    (block $proc_exit
    (block $poll_oneoff
    (block $path_unlink_file
    (block $path_symlink
    (block $path_rename
    (block $path_remove_directory
    (block $path_readlink
    (block $path_open
    (block $path_link
    (block $path_filestat_set_times
    (block $path_filestat_get
    (block $path_create_directory
    (block $fd_write
    (block $fd_tell
    (block $fd_sync
    (block $fd_seek
    (block $fd_renumber
    (block $fd_readdir
    (block $fd_read
    (block $fd_pwrite
    (block $fd_prestat_dir_name
    (block $fd_prestat_get
    (block $fd_pread
    (block $fd_filestat_set_times
    (block $fd_filestat_set_size
    (block $fd_filestat_get
    (block $fd_fdstat_set_rights
    (block $fd_fdstat_set_flags
    (block $fd_fdstat_get
    (block $fd_datasync
    (block $fd_close
    (block $fd_allocate
    (block $fd_advise
    (block $clock_time_get
    (block $clock_res_get
    (block $environ_sizes_get
    (block $environ_get
    (block $args_sizes_get
    (block $args_get
    ;; Block k ends just before the call of function k.
    (br_table
      $args_get $args_sizes_get $environ_get $environ_sizes_get
      $clock_res_get $clock_time_get $fd_advise $fd_allocate
      $fd_close $fd_datasync $fd_fdstat_get $fd_fdstat_set_flags
      $fd_fdstat_set_rights $fd_filestat_get $fd_filestat_set_size $fd_filestat_set_times
      $fd_pread $fd_prestat_get $fd_prestat_dir_name $fd_pwrite
      $fd_read $fd_readdir $fd_renumber $fd_seek
      $fd_sync $fd_tell $fd_write $path_create_directory
      $path_filestat_get $path_filestat_set_times $path_link $path_open
      $path_readlink $path_remove_directory $path_rename $path_symlink
      $path_unlink_file $poll_oneoff $proc_exit $proc_raise
      $sched_yield $random_get $sock_accept $sock_recv
      $sock_send $sock_shutdown
      $fallthrough (local.get $which))
    ) (return (call $args_get (local.get $p0) (local.get $p1)))
    ) (return (call $args_sizes_get (local.get $p0) (local.get $p1)))
    ) (return (call $environ_get (local.get $p0) (local.get $p1)))
    ) (return (call $environ_sizes_get (local.get $p0) (local.get $p1)))
    ) (return (call $clock_res_get (local.get $p0) (local.get $p1)))
    ) (return (call $clock_time_get (local.get $p0) (local.get $q0) (local.get $p1)))
    ) (return (call $fd_advise (local.get $p0) (local.get $q0) (local.get $q1) (local.get $p1)))
    ) (return (call $fd_allocate (local.get $p0) (local.get $q0) (local.get $q1)))
    ) (return (call $fd_close (local.get $p0)))
    ) (return (call $fd_datasync (local.get $p0)))
    ) (return (call $fd_fdstat_get (local.get $p0) (local.get $p1)))
    ) (return (call $fd_fdstat_set_flags (local.get $p0) (local.get $p1)))
    ) (return (call $fd_fdstat_set_rights (local.get $p0) (local.get $q0) (local.get $q1)))
    ) (return (call $fd_filestat_get (local.get $p0) (local.get $p1)))
    ) (return (call $fd_filestat_set_size (local.get $p0) (local.get $q0)))
    ) (return (call $fd_filestat_set_times (local.get $p0) (local.get $q0) (local.get $q1) (local.get $p1)))
    ) (return (call $fd_pread (local.get $p0) (local.get $p1) (local.get $p2) (local.get $q0) (local.get $p3)))
    ) (return (call $fd_prestat_get (local.get $p0) (local.get $p1)))
    ) (return (call $fd_prestat_dir_name (local.get $p0) (local.get $p1) (local.get $p2)))
    ) (return (call $fd_pwrite (local.get $p0) (local.get $p1) (local.get $p2) (local.get $q0) (local.get $p3)))
    ) (return (call $fd_read (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3)))
    ) (return (call $fd_readdir (local.get $p0) (local.get $p1) (local.get $p2) (local.get $q0) (local.get $p3)))
    ) (return (call $fd_renumber (local.get $p0) (local.get $p1)))
    ) (return (call $fd_seek (local.get $p0) (local.get $q0) (local.get $p1) (local.get $p2)))
    ) (return (call $fd_sync (local.get $p0)))
    ) (return (call $fd_tell (local.get $p0) (local.get $p1)))
    ) (return (call $fd_write (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3)))
    ) (return (call $path_create_directory (local.get $p0) (local.get $p1) (local.get $p2)))
    ) (return (call $path_filestat_get (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4)))
    ) (return (call $path_filestat_set_times (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $q0) (local.get $q1) (local.get $p4)))
    ) (return (call $path_link (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4) (local.get $p5) (local.get $p6)))
    ) (return (call $path_open (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4) (local.get $q0) (local.get $q1) (local.get $p5) (local.get $p6)))
    ) (return (call $path_readlink (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4) (local.get $p5)))
    ) (return (call $path_remove_directory (local.get $p0) (local.get $p1) (local.get $p2)))
    ) (return (call $path_rename (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4) (local.get $p5)))
    ) (return (call $path_symlink (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4)))
    ) (return (call $path_unlink_file (local.get $p0) (local.get $p1) (local.get $p2)))
    ) (return (call $poll_oneoff (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3)))
    ) (call $proc_exit (local.get $p0)) (return (i32.const 0))
    ) (return (call $proc_raise (local.get $p0)))
    ) (return (call $sched_yield))
    ) (return (call $random_get (local.get $p0) (local.get $p1)))
    ) (return (call $sock_accept (local.get $p0) (local.get $p1) (local.get $p2)))
    ) (return (call $sock_recv (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4) (local.get $p5)))
    ) (return (call $sock_send (local.get $p0) (local.get $p1) (local.get $p2) (local.get $p3) (local.get $p4)))
    ) (return (call $sock_shutdown (local.get $p0) (local.get $p1)))
    )
    (i32.const -1)))
