from feedsvc.commands import cli

if __name__ == "__main__":
    cli()
