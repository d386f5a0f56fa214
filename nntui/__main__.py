from nntui.cli import main

if __name__ == "__main__":  # not when a spawned training process imports it
    raise SystemExit(main())
