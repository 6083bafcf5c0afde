#!/usr/bin/env bash
# Sourced by the setup scripts of tools that come from PyPI: installs one pinned package into its
# own virtual environment under $CACHE and links its command into $CACHE/bin. Idempotent: a stamp
# records the installed version.
#   pypi_venv_install NAME PACKAGE VERSION COMMAND
pypi_venv_install() {
  local name="$1" package="$2" version="$3" command="$4"
  local cache="${PARAPET_CACHE:-/var/cache/parapet}"
  local venv="$cache/$name-venv" stamp="$cache/$name.stamp" python
  mkdir -p "$cache/bin"
  if [ -x "$venv/bin/$command" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
    echo "setup-$name: $package $version already installed in $venv"
  else
    python="$(command -v python3 || true)"
    if [ -z "$python" ] || ! "$python" -m venv --help >/dev/null 2>&1; then
      echo "setup-$name: installing Debian's python3-venv"
      apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends python3 python3-venv >/dev/null
      python="$(command -v python3)"
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version"
    echo "$version" >"$stamp"
  fi
  ln -sf "$venv/bin/$command" "$cache/bin/$command"
}
