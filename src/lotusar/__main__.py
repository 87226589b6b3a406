from lotusar.cli import main

main()
