from devicecheck.cli import main

raise SystemExit(main())
