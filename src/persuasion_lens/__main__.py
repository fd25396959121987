from persuasion_lens.cli import main

main()
