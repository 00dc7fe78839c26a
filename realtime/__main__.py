from realtime.main import main

main()
