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
//   - Every fyne Menu.Refresh() makes systray rebuild the whole menu with NEW item
//     ids, and GetLayout can observe the menu half rebuilt. Never reuse an id read
//     before a refresh: use WaitLabel / WaitFind / ClickLabel, which re-read the
//     layout. Clicking a stale id is silently ignored by systray (it only logs).
//   - dbusmenu labels use "_" as the mnemonic marker; MenuItem.Label has single
//     underscores removed and "__" turned into "_" (what a panel shows),
//     MenuItem.RawLabel is the label as sent. systray does not escape underscores.
//   - Item registration happens before Fyne has built the menu or set the icon,
//     so wait for menu labels (WaitLabel) and properties (WaitProperty) rather
//     than reading them once right after WaitItem.
package traytest
