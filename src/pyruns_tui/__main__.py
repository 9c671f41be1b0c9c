from pyruns_tui.cli import main

raise SystemExit(main())
