from monitor.cli import main

if __name__ == "__main__":  # the ingest's spawned worker imports this module too
    main()
