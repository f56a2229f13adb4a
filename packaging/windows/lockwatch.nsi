; lockwatch's Windows installer (NSIS; make package builds it from the
; cross-built GUI). Per user, without administrator rights: the program in
; %LocalAppData%\Programs\lockwatch, a Start menu shortcut, lockwatch://
; links, "Start at login" if ticked (the same HKCU Run entry the app's own
; setting writes), and an uninstaller listed under the user's Apps that
; removes all of it — and leaves the user's config and history alone.
;
;   makensis -DVERSION=0.1.0 -DEXE=bin/lockwatch.exe -DICON=bin/lockwatch.ico -DOUT=dist/lockwatch-setup.exe lockwatch.nsi

Unicode true
; 64-bit: the Windows builds of lockwatch are amd64 (and Wine here runs 64-bit programs only).
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user

!include "MUI2.nsh"

!ifndef VERSION
  !error "makensis -DVERSION=… -DEXE=… -DICON=… -DOUT=…"
!endif

Name "lockwatch"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\lockwatch"
InstallDirRegKey HKCU "Software\lockwatch" "InstallDir"
BrandingText "lockwatch ${VERSION}"

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\lockwatch"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\lockwatch.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start lockwatch now"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "lockwatch" SecMain
  SectionIn RO
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; An upgrade: the running lockwatch (started at login) holds its .exe
  ; open, so it is ended first; it starts again at the next login.
  IfFileExists "$INSTDIR\lockwatch.exe" 0 +2
    nsExec::Exec 'taskkill /F /IM lockwatch.exe'
  SetOverwrite try
  ClearErrors
  File "/oname=lockwatch.exe" "${EXE}"
  IfErrors 0 +3
    ; Still held: replaced when Windows next starts.
    File "/oname=lockwatch.exe.new" "${EXE}"
    Rename /REBOOTOK "$INSTDIR\lockwatch.exe.new" "$INSTDIR\lockwatch.exe"
  SetOverwrite on
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\lockwatch" "InstallDir" "$INSTDIR"

  CreateShortcut "$SMPROGRAMS\lockwatch.lnk" "$INSTDIR\lockwatch.exe" "" "$INSTDIR\lockwatch.exe" 0

  ; lockwatch:// (a notification's click), as the app registers it itself.
  WriteRegStr HKCU "Software\Classes\lockwatch" "" "URL:lockwatch"
  WriteRegStr HKCU "Software\Classes\lockwatch" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\lockwatch\DefaultIcon" "" '"$INSTDIR\lockwatch.exe",0'
  WriteRegStr HKCU "Software\Classes\lockwatch\shell\open\command" "" '"$INSTDIR\lockwatch.exe" "%1"'

  ; Listed under the user's Apps, removable from there.
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "lockwatch"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "The lockwatch authors"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" '"$INSTDIR\lockwatch.exe",0'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "URLInfoAbout" "https://github.com/lockwatch/lockwatch"
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Start at login" SecLogin
  ; The same entry as the app's "Start at login", so either can turn it off.
  WriteRegStr HKCU "${RUN_KEY}" "lockwatch" '"$INSTDIR\lockwatch.exe"'
  DeleteRegValue HKCU "${APPROVED_KEY}" "lockwatch"
SectionEnd

LangString DESC_Main ${LANG_ENGLISH} "lockwatch itself, its Start menu shortcut and lockwatch:// links."
LangString DESC_Login ${LANG_ENGLISH} "Start lockwatch in the notification area when you log in."
!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecMain} $(DESC_Main)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecLogin} $(DESC_Login)
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "Uninstall"
  SetShellVarContext current
  ; A running lockwatch holds its .exe open: ask it to quit first.
  nsExec::Exec '"$INSTDIR\lockwatch.exe" service uninstall'
  nsExec::Exec 'taskkill /F /IM lockwatch.exe'
  ; The .exe can be deleted once the processes that ran it have ended:
  ; tried for up to 10 seconds.
  StrCpy $0 0
  retry:
    ClearErrors
    Delete "$INSTDIR\lockwatch.exe"
    IfErrors 0 deleted
    IntOp $0 $0 + 1
    IntCmp $0 100 deleted
    Sleep 100
    Goto retry
  deleted:
  ; One still held is removed when Windows next starts: never left behind.
  Delete /REBOOTOK "$INSTDIR\lockwatch.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir /REBOOTOK "$INSTDIR"
  Delete "$SMPROGRAMS\lockwatch.lnk"
  DeleteRegKey HKCU "Software\Classes\lockwatch"
  DeleteRegValue HKCU "${RUN_KEY}" "lockwatch"
  DeleteRegValue HKCU "${APPROVED_KEY}" "lockwatch"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\lockwatch"
  ; The config (%AppData%\lockwatch) and history (%LocalAppData%\lockwatch) stay: they are the user's.
SectionEnd
