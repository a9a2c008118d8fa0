# shellcheck shell=bash
# Sourced by scripts/build-docker.sh and scripts/docker-test.sh: picks the container engine.
#
# Docker when an engine answers (`docker info` succeeds), else podman. On podman the defaults are
# what works on a machine without a Docker daemon (see docs/deploy.md): the vfs storage driver and
# runc (crun fails on some cgroup layouts), and ulimits no larger than the machine's hard limits
# (podman's defaults can exceed them). Override with:
#   ENGINE=docker|podman
#   PODMAN_GLOBAL_FLAGS  (default: --storage-driver vfs --runtime runc)
#   ENGINE_RUN_FLAGS     (flags for build and run; default on podman: --ulimit nofile=... --ulimit nproc=...)
#
# Sets: ENGINE and the array ENG (the command with its global flags) and RUNFLAGS.

pick_engine() {
  if [ -z "${ENGINE:-}" ]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      ENGINE=docker
    elif command -v podman >/dev/null 2>&1; then
      ENGINE=podman
    else
      echo "no container engine: docker does not answer and podman is not installed" >&2
      return 1
    fi
  fi
  RUNFLAGS=()
  case $ENGINE in
    docker)
      ENG=(docker)
      # shellcheck disable=SC2206 # a list of flags
      [ -n "${ENGINE_RUN_FLAGS:-}" ] && RUNFLAGS=(${ENGINE_RUN_FLAGS})
      ;;
    podman)
      # shellcheck disable=SC2206 # a list of flags
      ENG=(podman ${PODMAN_GLOBAL_FLAGS:---storage-driver vfs --runtime runc})
      if [ -n "${ENGINE_RUN_FLAGS:-}" ]; then
        # shellcheck disable=SC2206
        RUNFLAGS=(${ENGINE_RUN_FLAGS})
      else
        local nofile nproc
        nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
        [ "$nofile" = unlimited ] && nofile=1048576
        [ "$nproc" = unlimited ] && nproc=1048576
        [ "$nofile" -gt 1048576 ] && nofile=1048576
        [ "$nproc" -gt 32768 ] && nproc=32768
        RUNFLAGS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
      fi
      ;;
    *)
      echo "ENGINE=$ENGINE: expected docker or podman" >&2
      return 1
      ;;
  esac
  export ENGINE
}
