"""lotusar.scenario"""
