def launch(main_func, num_gpus):
    main_func()
