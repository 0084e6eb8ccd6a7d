#!/bin/sh
# Runs keychain.test.ts against a real Secret Service: a private D-Bus session bus with
# gnome-keyring-daemon's secrets component, its login keyring unlocked with a throw-away
# password, in a throw-away HOME. Skips loudly (exit 0) where none can be started.
set -eu
cd "$(dirname "$0")/../../.."
if [ "$(uname)" != "Linux" ]; then
  echo "*** SKIPPED keychain tests: this script starts a Linux Secret Service; on $(uname) run vitest on packages/desktop/test/keychain.test.ts directly ***"
  exit 0
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "*** SKIPPED keychain tests: $tool is not installed (Debian: apt-get install gnome-keyring dbus dbus-x11) ***"
    exit 0
  fi
done
HOME="$(mktemp -d)"
export HOME
trap 'rm -rf "$HOME"' EXIT
export STRONGROOM_KEYCHAIN_REQUIRED=1
dbus-run-session -- sh -c '
  printf %s strongroom-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec npx vitest run packages/desktop/test/keychain.test.ts
'
