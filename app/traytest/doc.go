// Package traytest runs end-to-end tray tests against a real X server (Xvfb)
// and a real, private D-Bus session bus (dbus-daemon).
//
// A test starts a Session, then plays the roles a desktop would play:
//
//   - StartWatcher owns org.kde.StatusNotifierWatcher on the private bus, the
//     role a desktop panel plays. fyne.io/systray registers its
//     StatusNotifierItem with it, and the test reads the item's properties
//     (Title, ToolTip, IconPixmap, ...) and drives its com.canonical.dbusmenu
//     menu (GetLayout, Event "clicked") exactly as a panel would.
//   - StartNotificationServer owns org.freedesktop.Notifications, records every
//     Notify call and can emit ActionInvoked / NotificationClosed back to the
//     client, the role a notification daemon plays.
//   - StartPanel and StartDunst run the real programs instead, from Debian:
//     xfce4-panel (its systray plugin is the StatusNotifierWatcher and host,
//     draws the icon and, on a click sent with xdotool, the menu) and dunst
//     (a notification daemon, driven with dunstctl). Tests of what users see
//     use them; the stand-ins serve the finer-grained tests.
//   - StartProcess runs the program under test with Session.Env (DISPLAY and
//     DBUS_SESSION_BUS_ADDRESS point at the private session) and kills it at
//     cleanup.
//
// Things worth knowing when writing tests with it:
//
//   - fyne.io/systray registers with RegisterStatusNotifierItem("/StatusNotifierItem"),
//     an object path rather than a bus name; the watcher takes the bus name from
//     the message sender (as the Ayatana/GNOME watchers do).
//   - The systray version Fyne v2.7.1 uses re-registers whenever the owner of
//     org.kde.StatusNotifierWatcher changes, so the watcher may be started before
//     or after the app. Older versions registered only once: start the watcher
//     first to be safe.
//   - The menu's object path is read from the item's Menu property (it has been
//     /StatusNotifierMenu in recent systray versions, other paths elsewhere).
//   - A menu drawn anew (lockwatch's tray does that only when the menu's shape
//     changes; Fyne did it on every refresh) gets NEW item ids, and GetLayout
//     can observe it half built. Never reuse an id read before a redraw: use
//     WaitLabel / WaitFind / ClickLabel, which re-read the layout. Clicking a
//     stale id is silently ignored by systray (it only logs).
//   - dbusmenu labels use "_" as the mnemonic marker; MenuItem.Label has single
//     underscores removed and "__" turned into "_" (what a panel shows),
//     MenuItem.RawLabel is the label as sent. systray does not escape underscores.
//   - Item registration may happen before the menu is built or the icon set,
//     so wait for menu labels (WaitLabel) and properties (WaitProperty) rather
//     than reading them once right after WaitItem.
package traytest
